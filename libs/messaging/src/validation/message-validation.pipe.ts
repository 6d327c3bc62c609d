// The Nest pipe that turns a handler's payload into its validated message class (the consume-side validation step).
import type { ArgumentMetadata, PipeTransform } from '@nestjs/common';
import type { MessageClass } from '../message/message-class';
import { checkMessage } from './validate-message';

export class MessageValidationPipe implements PipeTransform<unknown, object | Promise<object>> {
  constructor(
    private readonly messageClass: MessageClass,
    private readonly unknownFields: 'strip' | 'reject',
  ) {}

  transform(value: unknown, _metadata?: ArgumentMetadata): object | Promise<object> {
    return checkMessage(this.messageClass, value, { unknownFields: this.unknownFields });
  }
}
