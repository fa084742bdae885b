import { Migration } from '@mikro-orm/migrations';

/**
 * SnapshotEvent.kind, backfilled from what each existing row records (a birth has no
 * `from`); an index for event-log retention's prune by age; the event log's horizon.
 */
export class Migration20261129091553_event_kind extends Migration {

  override name = 'Migration20261129091553_event_kind';

  override up(): void | Promise<void> {
    this.addSql(`create table "event_log_horizon" ("id" smallint primary key, "pruned_through" bigint not null default '0', "updated_at" timestamptz not null);`);
    this.addSql(`insert into "event_log_horizon" ("id", "pruned_through", "updated_at") values (1, 0, now());`);

    this.addSql(`alter table "snapshot_event" add "kind" text null;`);
    this.addSql(`update "snapshot_event" set "kind" = case
      when "subject" = 'VOLUME_SNAPSHOT' then 'VOLUME_PHASE_CHANGED'
      when "from_state" is null then 'CREATED'
      else 'STATUS_CHANGED' end;`);
    this.addSql(`alter table "snapshot_event" alter column "kind" set not null;`);
    this.addSql(`create index "snapshot_event_at_idx" on "snapshot_event" ("at");`);
    this.addSql(`alter table "snapshot_event" add constraint "snapshot_event_kind_check" check ("kind" in ('CREATED', 'STATUS_CHANGED', 'VOLUME_PHASE_CHANGED', 'PROGRESS', 'DELETED'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "event_log_horizon" cascade;`);

    this.addSql(`drop index "snapshot_event_at_idx";`);
    this.addSql(`alter table "snapshot_event" drop constraint "snapshot_event_kind_check";`);
    // Events the old schema cannot tell apart from transitions go with the column.
    this.addSql(`delete from "snapshot_event" where "kind" in ('PROGRESS', 'DELETED');`);
    this.addSql(`alter table "snapshot_event" drop column "kind";`);
  }

}
