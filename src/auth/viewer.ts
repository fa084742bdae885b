import { z } from 'zod';

export const PROJECT_ROLES = ['admin', 'member'] as const;
export type ProjectRole = (typeof PROJECT_ROLES)[number];

/** The `vsnap` claim of an access token: who the caller is to vsnap. */
export const rolesClaim = z.object({
  platformAdmin: z.boolean().default(false),
  projects: z.record(z.string().min(1), z.enum(PROJECT_ROLES)).default({}),
});
export type RolesClaim = z.infer<typeof rolesClaim>;

/** The authenticated caller of one request. */
export class Viewer {
  constructor(
    readonly subject: string,
    private readonly roles: RolesClaim,
    /** When the caller's token expires (its `exp`): live subscriptions end then. */
    readonly expiresAt?: Date,
  ) {}

  /**
   * The same for two viewers exactly when they may read the same things: what every
   * authorization rule reads (the platform-admin flag and the role in each project), not who
   * they are. Live results are computed once for all subscribers of one access (shared-results.ts).
   */
  get accessKey(): string {
    if (this.roles.platformAdmin) return 'platform-admin';
    return JSON.stringify(Object.entries(this.roles.projects).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  get isPlatformAdmin(): boolean {
    return this.roles.platformAdmin;
  }

  roleIn(projectId: string): ProjectRole | undefined {
    return Object.hasOwn(this.roles.projects, projectId) ? this.roles.projects[projectId] : undefined;
  }

  isProjectAdmin(projectId: string): boolean {
    return this.roleIn(projectId) === 'admin';
  }

  /** Any role in the project (admin or member). */
  belongsTo(projectId: string): boolean {
    return this.roleIn(projectId) !== undefined;
  }

  /** Projects whose snapshot data the viewer may read (admin of); undefined means every project. */
  administeredProjects(): string[] | undefined {
    return this.isPlatformAdmin ? undefined : Object.keys(this.roles.projects).filter((projectId) => this.isProjectAdmin(projectId));
  }

  /** Projects whose clusters the viewer may list; undefined means every project. */
  visibleProjects(): string[] | undefined {
    return this.isPlatformAdmin ? undefined : Object.keys(this.roles.projects);
  }
}
