import { Migration } from '@mikro-orm/migrations';

/** Snapshot.progress (how far taking it has got) and the figures of each PROGRESS event. */
export class Migration20261129094307_progress extends Migration {

  override name = 'Migration20261129094307_progress';

  override up(): void | Promise<void> {
    this.addSql(`alter table "snapshot_event" add "progress" jsonb null;`);

    this.addSql(`alter table "snapshot" add "progress" jsonb null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "snapshot" drop column "progress";`);

    this.addSql(`alter table "snapshot_event" drop column "progress";`);
  }

}
