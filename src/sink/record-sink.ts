// The sink side of the pipeline. kafkajs implements it today (src/sink/kafka/); another Kafka
// client can slot in behind the same interface.

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
  /** Writes a batch; resolves once the broker acknowledged every message (per the acks setting). */
  send(batch: readonly SinkMessage[]): Promise<void>;
  close(): Promise<void>;
}
