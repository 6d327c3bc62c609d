// The messaging library's readiness checks: connected to the broker, and every consumer registered (none paused for
// a dependency that is down).
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
    if (this.consumers.isConsuming) return { up: true, details: { queues } };
    const paused = this.consumers.paused;
    if (paused.length === 0) return { up: false, details: { message: 'consumers are not running', queues } };
    const waitingFor = [...new Set(paused.flatMap((entry) => entry.waitingFor))];
    return { up: false, details: { message: `consumers paused: waiting for ${waitingFor.join(', ')}`, queues, paused } };
  }
}
