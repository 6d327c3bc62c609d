// HTTP API of the order service: place an order (202 Accepted), read it back with its notification status.
import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Res,
  UsePipes,
  ValidationPipe,
  BadRequestException,
} from '@nestjs/common';
import type { Response } from 'express';
import { PlaceOrderRequest } from './place-order.request';
import { OrdersService, type Order } from './orders.service';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;

@Controller('orders')
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @HttpCode(202)
  async place(
    @Body() request: PlaceOrderRequest,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<{ id: string; status: string }> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new BadRequestException('Idempotency-Key must be 1-128 letters, digits, ".", "_", ":" or "-"');
    }
    const { order } = await this.orders.place(request, idempotencyKey);
    response.setHeader('Location', `/orders/${order.id}`);
    return { id: order.id, status: order.status };
  }

  @Get(':id')
  async get(@Param('id', new ParseUUIDPipe()) id: string): Promise<OrderView> {
    const order = await this.orders.find(id);
    if (!order) throw new NotFoundException(`Order ${id} not found`);
    return toView(order);
  }
}

export interface OrderView {
  id: string;
  customerId: string;
  email: string;
  currency: string;
  items: Order['items'];
  total: string;
  status: Order['status'];
  failureReason?: string;
  createdAt: string;
  updatedAt: string;
}

function toView(order: Order): OrderView {
  return {
    id: order.id,
    customerId: order.customerId,
    email: order.email,
    currency: order.currency,
    items: order.items,
    total: order.total,
    status: order.status,
    ...(order.failureReason ? { failureReason: order.failureReason } : {}),
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}
