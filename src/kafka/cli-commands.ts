// The Kafka commands that fix messages show, with every flag they need, so a user can run them as
// written (the standard tool names of a Kafka distribution: kafka-topics, kafka-configs). A new
// topic gets the broker's default partition count (num.partitions); add --partitions N to choose.

const servers = (brokers: readonly string[]) => brokers.join(',');

export function createTopicCommand(brokers: readonly string[], topic: string): string {
  return `kafka-topics --bootstrap-server ${servers(brokers)} --create --topic ${topic}`;
}

export function raiseMaxMessageBytesCommand(
  brokers: readonly string[],
  topic: string,
  bytes: number,
): string {
  return `kafka-configs --bootstrap-server ${servers(brokers)} --alter --entity-type topics --entity-name ${topic} --add-config max.message.bytes=${bytes}`;
}
