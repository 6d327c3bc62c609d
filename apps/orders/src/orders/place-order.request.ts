// The body of POST /orders, validated at the edge: a bad request never reaches the database or the broker.
// Its lines are the contract's own OrderLine, so the HTTP API and the event accept exactly the same items.
import { IsCurrencyCode, IsUuidField, OrderLine } from '@app/contracts';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsEmail, IsObject, ValidateNested } from 'class-validator';

export class PlaceOrderRequest {
  @IsUuidField()
  customerId!: string;

  @IsEmail({}, { message: 'email must be an email address' })
  email!: string;

  @IsCurrencyCode()
  currency!: string;

  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(100)
  @IsObject({ each: true, message: 'each value in items must be an order line object' })
  @ValidateNested({ each: true })
  @Type(() => OrderLine)
  items!: OrderLine[];
}
