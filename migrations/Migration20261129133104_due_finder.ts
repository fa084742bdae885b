import { Migration } from '@mikro-orm/migrations';

export class Migration20261129133104_due_finder extends Migration {

  override name = 'Migration20261129133104_due_finder';

  override up(): void | Promise<void> {
    this.addSql(`alter table "virtual_cluster" add "policy_catch_up" text not null default 'ONE', add "policy_next_run_at" timestamptz null, add "policy_skipped_ticks" int not null default 0;`);
    this.addSql(`create index "virtual_cluster_next_run_idx" on "virtual_cluster" ("policy_next_run_at") where "policy_enabled";`);
    this.addSql(`alter table "virtual_cluster" add constraint "virtual_cluster_policy_catch_up_check" check ("policy_catch_up" in ('ONE', 'NONE'));`);
    // One due-finder replaces the recurring job per cluster: those jobs go (Agenda on Postgres; on
    // MongoDB the worker removes them when it starts). Next runs are set by the worker's due-finder
    // at start (fillMissingNextRuns): croner runs in Node, not here.
    this.addSql(`do $$ begin
      if to_regclass('vsnap_jobs') is not null then delete from "vsnap_jobs" where "name" = 'auto-snapshot'; end if;
    end $$;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "virtual_cluster_next_run_idx";`);
    this.addSql(`alter table "virtual_cluster" drop constraint "virtual_cluster_policy_catch_up_check";`);
    this.addSql(`alter table "virtual_cluster" drop column "policy_catch_up", drop column "policy_next_run_at", drop column "policy_skipped_ticks";`);
  }

}
