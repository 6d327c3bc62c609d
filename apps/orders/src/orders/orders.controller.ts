// HTTP API of the order service: place an order (202 Accepted), read it back with its status and the history of its
// saga (how its notification went), and the
// notifications sent for it, asked of the notification service (request/reply over the messaging transport).
import {
  BadGatewayException,
  Body,
  Controller,
  GatewayTimeoutException,
  Get,
  Headers,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Res,
  ServiceUnavailableException,
  UsePipes,
  ValidationPipe,
  BadRequestException,
} from '@nestjs/common';
import { ClientProxy, RpcException } from '@nestjs/microservices';
import { NotificationStatusRequest, type NotificationStatusReply } from '@app/contracts';
import { RequestTimeoutError, type SagaHistoryEntry } from '@app/messaging';
import { Sagas } from '@app/persistence';
import type { Response } from 'express';
import { firstValueFrom } from 'rxjs';
import { PlaceOrderRequest } from './place-order.request';
import { OrdersService, type Order } from './orders.service';
import { OrderNotificationSaga } from './order-notification.saga';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client of the notification service (MessagingClientsModule.register in the app module). */
export const NOTIFICATIONS = 'NOTIFICATIONS';

@Controller('orders')
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
export class OrdersController {
  constructor(
    private readonly orders: OrdersService,
    private readonly sagas: Sagas,
    @Inject(NOTIFICATIONS) private readonly notifications: ClientProxy,
  ) {}

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
    const saga = await this.sagas.find(OrderNotificationSaga, id);
    return toView(order, saga?.history ?? []);
  }

  /** 504 when the notification service does not answer in time, 503 when the broker is away, 502 when it fails. */
  @Get(':id/notifications')
  async notificationsOf(@Param('id', new ParseUUIDPipe()) id: string): Promise<NotificationStatusReply> {
    if (!(await this.orders.find(id))) throw new NotFoundException(`Order ${id} not found`);
    try {
      return await firstValueFrom(this.notifications.send<NotificationStatusReply>(NotificationStatusRequest, { orderId: id }));
    } catch (error) {
      if (error instanceof RpcException) throw new BadGatewayException(`The notification service failed: ${error.message}`);
      if (error instanceof RequestTimeoutError) throw new GatewayTimeoutException('The notification service did not answer in time');
      throw new ServiceUnavailableException('The notification service cannot be reached now');
    }
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
  /** How its status came to be: one entry per move of its saga (placed, overdue, notified...), oldest first. */
  history: Array<{ at: string; status: string; cause?: string; note?: string }>;
}

function toView(order: Order, history: SagaHistoryEntry[]): OrderView {
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
    history: history.map((entry) => ({
      at: entry.at,
      status: entry.to,
      ...(entry.messageType ? { cause: entry.messageType } : {}),
      ...(entry.note ? { note: entry.note } : {}),
    })),
  };
}
