/**
 * A task that runs at most once at a time: asked again while it runs, it runs once more right
 * after (however often it was asked meanwhile), and every caller waits for that last run; then
 * `after` runs once. The due-finder's passes and the take slots' filling run this way.
 */
export class Rerun {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    /** Must not reject: a run's failures are its own to log. */
    private readonly task: () => Promise<void>,
    private readonly after: () => Promise<void> | void = () => undefined,
  ) {}

  /** Runs the task now, or once more after the run under way; resolves when that run is over. */
  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.task();
      } while (this.again);
      await this.after();
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  /** The run under way, if any (stopping waits for it). */
  get current(): Promise<void> | undefined {
    return this.running;
  }
}
