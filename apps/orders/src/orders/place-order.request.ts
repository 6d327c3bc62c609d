// The body of POST /orders, validated at the edge: a bad request never reaches the database or the broker.
import { IsCurrencyCode, IsDecimalString, IsUuidField } from '@app/contracts';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsEmail, IsInt, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';

export class PlaceOrderItem {
  @IsString()
  @MaxLength(64)
  @Matches(/^[A-Za-z0-9._-]+$/, { message: 'sku may hold only letters, digits, ".", "_" and "-"' })
  sku!: string;

  @IsInt()
  @Min(1)
  @Max(10_000)
  quantity!: number;

  @IsDecimalString({ scale: 2 })
  unitPrice!: string;
}

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
  @ValidateNested({ each: true })
  @Type(() => PlaceOrderItem)
  items!: PlaceOrderItem[];
}
