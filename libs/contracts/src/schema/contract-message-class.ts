// The shape the messaging library reads from a message class (structurally the same as its MessageClass).

export interface ContractMessageClass {
  new (): object;
  readonly name: string;
  readonly messageType: string;
  readonly schemaVersion: number;
}

/** True for a class that declares a message type and schema version as statics. */
export function isContractMessageClass(value: unknown): value is ContractMessageClass {
  if (typeof value !== 'function') return false;
  const candidate = value as Partial<ContractMessageClass>;
  return typeof candidate.messageType === 'string' && typeof candidate.schemaVersion === 'number';
}
