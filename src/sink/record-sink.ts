// The sink side of the pipeline. librdkafka implements it (src/sink/kafka/); another Kafka client
// can slot in behind the same interface.

export interface SinkMessage {
  topic: string;
  partition: number;
  key: Buffer | null;
  value: Buffer;
}

export interface RecordSink {
  connect(): Promise<void>;
  /** Partitions of a topic; fails with a non-retriable error when the topic does not exist. */
  partitions(topic: string): Promise<number>;
  /**
   * Writes a batch and the offset message that says how far the job's output now reaches;
   * resolves once both are acknowledged. A transactional sink commits them atomically; others
   * write the offset after the batch.
   */
  write(batch: readonly SinkMessage[], offset: SinkMessage | null): Promise<void>;
  close(): Promise<void>;
  /** The client's latest complaint (a broker it cannot reach), shown while a write waits; null: none. */
  lastFailure(): string | null;
}
