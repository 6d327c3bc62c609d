// The body of POST /orders, validated at the edge: a bad request never reaches the database or the broker.
// Its lines are the contract's own OrderLine, so the HTTP API and the event accept exactly the same items; their total
// must fit the order's total column. The body's size and shape were checked before (the service kit's input limits).
import { IsCurrencyCode, IsEmailAddress, IsUuidField, OrderLine } from '@app/contracts';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsObject, ValidateNested } from 'class-validator';
import { FitsOrderTotal } from './order-total';

export class PlaceOrderRequest {
  @IsUuidField()
  customerId!: string;

  @IsEmailAddress()
  email!: string;

  @IsCurrencyCode()
  currency!: string;

  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(100)
  @IsObject({ each: true, message: 'each value in items must be an order line object' })
  @ValidateNested({ each: true })
  @Type(() => OrderLine)
  @FitsOrderTotal()
  items!: OrderLine[];
}
