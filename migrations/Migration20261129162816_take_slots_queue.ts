import { Migration } from '@mikro-orm/migrations';

export class Migration20261129162816_take_slots_queue extends Migration {

  override name = 'Migration20261129162816_take_slots_queue';

  override up(): void | Promise<void> {
    this.addSql(`create index "snapshot_scheduled_queue_idx" on "snapshot" ("scheduled_at") where status = 'SCHEDULED';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "snapshot_scheduled_queue_idx";`);
  }

}
