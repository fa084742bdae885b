import { Migration } from '@mikro-orm/migrations';

/** Snapshot.skippedResources: the resources an archive could not hold (existing rows: none recorded). */
export class Migration20261129072348_skipped_resources extends Migration {

  override name = 'Migration20261129072348_skipped_resources';

  override up(): void | Promise<void> {
    this.addSql(`alter table "snapshot" add "skipped_resources" jsonb not null default '[]';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "snapshot" drop column "skipped_resources";`);
  }

}
