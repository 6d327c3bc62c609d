// The messaging library's readiness checks: connected to the broker, and every consumer registered.
import { Injectable } from '@nestjs/common';
import { AmqpConnection } from '../connection/amqp-connection';
import { ConsumerSupervisor } from '../consuming/consumer-supervisor';
import { ReadinessCheck, type ReadinessCheckable, type ReadinessResult } from './readiness-check';

@Injectable()
@ReadinessCheck('broker')
export class BrokerReadiness implements ReadinessCheckable {
  constructor(private readonly connection: AmqpConnection) {}

  checkReadiness(): ReadinessResult {
    return this.connection.isConnected() ? { up: true } : { up: false, details: { message: 'not connected to RabbitMQ' } };
  }
}

@Injectable()
@ReadinessCheck('consumers')
export class ConsumersReadiness implements ReadinessCheckable {
  constructor(private readonly consumers: ConsumerSupervisor) {}

  checkReadiness(): ReadinessResult {
    const queues = this.consumers.queues;
    return this.consumers.isConsuming
      ? { up: true, details: { queues } }
      : { up: false, details: { message: 'consumers are not running', queues } };
  }
}
