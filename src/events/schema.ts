import { builder } from '../graphql/builder.ts';
import { SnapshotProgressRef, SnapshotRef } from '../snapshots/schema.ts';
import { EVENT_SUBJECTS, SNAPSHOT_EVENT_KINDS, type SnapshotEvent, type SnapshotEventKind } from './entity.ts';

const EventSubjectEnum = builder.enumType('SnapshotEventSubject', { values: EVENT_SUBJECTS });

export const SnapshotEventKindEnum = builder.enumType('SnapshotEventKind', {
  description: 'What an event records: CREATED (born SCHEDULED), STATUS_CHANGED, VOLUME_PHASE_CHANGED, PROGRESS (figures while IN_PROGRESS), DELETED (the snapshot row is gone).',
  values: SNAPSHOT_EVENT_KINDS,
});

export const SnapshotEventRef = builder.objectRef<SnapshotEvent>('SnapshotEvent').implement({
  description: 'One change of a snapshot: its creation, a status or volume phase transition, progress, its deletion.',
  fields: (t) => ({
    cursor: t.id({
      description: 'Global and strictly increasing: resume a subscription after it.',
      resolve: (event) => String(event.id),
    }),
    kind: t.field({ type: SnapshotEventKindEnum, resolve: (event) => event.kind }),
    subject: t.field({ type: EventSubjectEnum, resolve: (event) => event.subject }),
    snapshotId: t.exposeID('snapshotId'),
    volumeSnapshotId: t.exposeID('volumeSnapshotId', { nullable: true }),
    virtualClusterId: t.exposeID('virtualClusterId'),
    from: t.exposeString('fromState', { nullable: true, description: 'null when the snapshot was created.' }),
    to: t.exposeString('toState', { description: 'The status or phase after the change; DELETED for a deletion.' }),
    at: t.expose('at', { type: 'DateTime' }),
    message: t.exposeString('message', { nullable: true }),
    progress: t.field({
      type: SnapshotProgressRef,
      nullable: true,
      description: 'The figures a PROGRESS event reports; null for every other kind.',
      resolve: (event) => event.progress ?? null,
    }),
  }),
});

builder.objectField(SnapshotRef, 'events', (t) =>
  t.field({
    type: [SnapshotEventRef],
    description:
      'The snapshot\'s events, oldest first: by default its history (every kind but PROGRESS, of which a long snapshot has one a second); ' +
      '`kinds` picks the kinds, PROGRESS included.',
    args: { kinds: t.arg({ type: [SnapshotEventKindEnum], required: false }) },
    resolve: async (snapshot, { kinds }, context) => {
      if (!kinds) return context.loaders.events.load(snapshot.id);
      const wanted = new Set<SnapshotEventKind>(kinds);
      const [history, progress] = await Promise.all([
        kinds.some((kind) => kind !== 'PROGRESS') ? context.loaders.events.load(snapshot.id) : [],
        wanted.has('PROGRESS') ? context.loaders.progressEvents.load(snapshot.id) : [],
      ]);
      return [...history, ...progress].filter((event) => wanted.has(event.kind)).sort((a, b) => a.id - b.id);
    },
  }),
);
