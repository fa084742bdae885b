import { builder } from '../graphql/builder.ts';
import { SnapshotRef } from '../snapshots/schema.ts';
import { EVENT_SUBJECTS, type SnapshotEvent } from './entity.ts';

const EventSubjectEnum = builder.enumType('SnapshotEventSubject', { values: EVENT_SUBJECTS });

export const SnapshotEventRef = builder.objectRef<SnapshotEvent>('SnapshotEvent').implement({
  description: 'One status (snapshot) or phase (volume snapshot) transition.',
  fields: (t) => ({
    cursor: t.id({
      description: 'Global and strictly increasing: resume a subscription after it.',
      resolve: (event) => String(event.id),
    }),
    subject: t.field({ type: EventSubjectEnum, resolve: (event) => event.subject }),
    snapshotId: t.exposeID('snapshotId'),
    volumeSnapshotId: t.exposeID('volumeSnapshotId', { nullable: true }),
    virtualClusterId: t.exposeID('virtualClusterId'),
    from: t.exposeString('fromState', { nullable: true, description: 'null when the snapshot was created.' }),
    to: t.exposeString('toState'),
    at: t.expose('at', { type: 'DateTime' }),
    message: t.exposeString('message', { nullable: true }),
  }),
});

builder.objectField(SnapshotRef, 'events', (t) =>
  t.field({
    type: [SnapshotEventRef],
    description: 'Every transition of the snapshot and its volumes, oldest first.',
    resolve: (snapshot, _args, context) => context.loaders.events.load(snapshot.id),
  }),
);
