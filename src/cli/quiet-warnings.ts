// kafkajs 2.2.4 arms a timer with a negative delay on each connection (RequestQueue, throttledUntil
// -1); Node clamps it to 1 ms and warns. Only that warning is dropped; every other is printed.
export function dropKafkajsTimeoutWarning(): void {
  process.removeAllListeners('warning');
  process.on('warning', (w) => {
    if (w.name !== 'TimeoutNegativeWarning') process.stderr.write(`${w.name}: ${w.message}\n`);
  });
}
