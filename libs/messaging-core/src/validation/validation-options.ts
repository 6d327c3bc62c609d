// How a message is checked against its class, at both ends (publish and consume).

export interface ValidateMessageOptions {
  /** 'strip' drops undeclared fields; 'reject' fails the message. */
  unknownFields: 'strip' | 'reject';
}
