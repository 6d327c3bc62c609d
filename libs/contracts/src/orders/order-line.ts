// One line of an order: which article, how many, at what unit price. Nested in OrderCreated.items.
import { IsInt, IsString, Length, Matches, Max, Min } from 'class-validator';
import { IsDecimalString } from '../types/is-decimal-string';

export class OrderLine {
  @IsString()
  @Length(1, 64)
  @Matches(/^[A-Za-z0-9._-]+$/, { message: '$property may only contain letters, digits, ".", "_" and "-"' })
  sku!: string;

  @IsInt()
  @Min(1)
  @Max(10_000)
  quantity!: number;

  /** Price of one unit, in OrderCreated.currency. */
  @IsDecimalString({ scale: 2 })
  unitPrice!: string;
}
