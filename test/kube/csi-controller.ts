/**
 * A simulated external-snapshotter + CSI driver: VolumeSnapshots created with
 * spec.source.persistentVolumeClaimName get a VolumeSnapshotContent and a
 * status, as faults.csi says (ready, slow, fail, never), per PVC if wished.
 * Deleting a VolumeSnapshot deletes its content when the policy is Delete.
 */
import type { KubeObject, KubeStore, StoreEvent } from './store.ts';

export type CsiMode = 'ready' | 'slow' | 'fail' | 'never';

export interface CsiBehaviour {
  mode: CsiMode;
  /** ready/fail: delay before the outcome (default 20 ms); slow: until readyToUse (default 1500 ms). */
  delayMs?: number;
}

export interface CsiFaults extends CsiBehaviour {
  /** Overrides by "<namespace>/<pvc>". */
  perPvc?: Record<string, CsiBehaviour>;
}

const VS = 'snapshot.storage.k8s.io/volumesnapshots';
const VSC = 'snapshot.storage.k8s.io/volumesnapshotcontents';
const VSCLASS = 'snapshot.storage.k8s.io/volumesnapshotclasses';
const DEFAULT_CLASS_ANNOTATION = 'snapshot.storage.kubernetes.io/is-default-class';
/** What a "slow" snapshot waits before the content exists (readyToUse false). */
const CUT_DELAY_MS = 10;

interface Snap {
  namespace: string;
  name: string;
  uid: string;
  pvc: string;
  className: string | undefined;
}

type Obj = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

const iso = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** Bytes of a quantity like "1Gi", "500Mi", "10G", "1073741824". */
export function quantityBytes(quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMGTPE]i?|k)?$/.exec(quantity.trim());
  if (!m) return 0;
  const units: Record<string, number> = { k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
  const suffix = m[2] ?? '';
  const factor = suffix.endsWith('i') ? 1024 ** ('KMGTPE'.indexOf(suffix[0]!) + 1) : (units[suffix] ?? 1);
  return Math.round(Number(m[1]) * factor);
}

class SnapshotError extends Error {}

export class CsiController {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: KubeStore,
    private readonly faults: () => CsiFaults,
  ) {
    this.unsubscribe = store.on((event) => this.onEvent(event));
  }

  /** Outcomes still scheduled. */
  get pending(): number {
    return this.timers.size;
  }

  /** Resolves once no outcome is scheduled ('never' snapshots schedule none). */
  idle(): Promise<void> {
    if (this.timers.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.unsubscribe();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.settle();
  }

  private onEvent(event: StoreEvent): void {
    const { group, plural } = event.resource;
    if (group !== 'snapshot.storage.k8s.io' || plural !== 'volumesnapshots') return;
    const vs = event.object.object() as Obj;
    if (event.type === 'ADDED') this.onCreated(vs);
    if (event.type === 'DELETED') this.onDeleted(vs);
  }

  private onCreated(vs: Obj): void {
    const source = vs.spec?.source as { persistentVolumeClaimName?: string } | undefined;
    if (!source?.persistentVolumeClaimName || vs.status?.readyToUse !== undefined) return;
    const snap: Snap = {
      namespace: vs.metadata?.namespace ?? '',
      name: vs.metadata?.name ?? '',
      uid: vs.metadata?.uid ?? '',
      pvc: source.persistentVolumeClaimName,
      className: vs.spec?.volumeSnapshotClassName as string | undefined,
    };
    const faults = this.faults();
    const behaviour = faults.perPvc?.[`${snap.namespace}/${snap.pvc}`] ?? faults;
    switch (behaviour.mode) {
      case 'never':
        return;
      case 'fail':
        this.later(behaviour.delayMs ?? 20, snap, () =>
          this.setError(snap, `Failed to create snapshot: failed to take snapshot of the volume ${snap.pvc}: rpc error: code = Internal desc = simulated CSI driver failure`),
        );
        return;
      case 'ready':
        this.later(behaviour.delayMs ?? 20, snap, () => this.cut(snap, true));
        return;
      case 'slow':
        this.later(CUT_DELAY_MS, snap, () => this.cut(snap, false));
        this.later(Math.max(behaviour.delayMs ?? 1500, CUT_DELAY_MS + 1), snap, () => this.markReady(snap));
        return;
    }
  }

  private onDeleted(vs: Obj): void {
    const contentName = vs.status?.boundVolumeSnapshotContentName as string | undefined;
    if (!contentName) return;
    const content = this.store.get(VSC, contentName) as Obj | undefined;
    if (content?.spec?.deletionPolicy === 'Delete') this.store.remove(VSC, contentName);
  }

  /** Runs `step` after `ms` if the VolumeSnapshot still exists (same uid). */
  private later(ms: number, snap: Snap, step: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      try {
        const current = this.store.get(VS, snap.name, snap.namespace);
        if (current?.metadata?.uid === snap.uid) step();
      } catch (error) {
        if (error instanceof SnapshotError) this.setError(snap, error.message);
        else console.error('csi controller step failed', error);
      } finally {
        this.settle();
      }
    }, ms);
    this.timers.add(timer);
  }

  private settle(): void {
    if (this.timers.size > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Creates the content (as the driver cut the snapshot) and binds the VolumeSnapshot to it. */
  private cut(snap: Snap, ready: boolean): void {
    const pvc = this.store.get('persistentvolumeclaims', snap.pvc, snap.namespace) as Obj | undefined;
    if (!pvc) throw new SnapshotError(`Failed to get input parameters to create snapshot ${snap.name}: "persistentvolumeclaims \\"${snap.pvc}\\" not found"`);
    const volumeName = pvc.spec?.volumeName as string | undefined;
    const pv = volumeName ? (this.store.get('persistentvolumes', volumeName) as Obj | undefined) : undefined;
    if (!pv) throw new SnapshotError(`Failed to get input parameters to create snapshot ${snap.name}: "the PVC ${snap.pvc} is not yet bound to a PV, will not attempt to take a snapshot"`);
    const csi = pv.spec?.csi as { driver?: string; volumeHandle?: string } | undefined;
    if (!csi?.driver) throw new SnapshotError(`Failed to create snapshot: volume ${volumeName} is not a CSI volume`);
    const klass = this.snapshotClass(snap, csi.driver);
    const capacity = ((pv.spec?.capacity as { storage?: string } | undefined)?.storage ?? '1Gi').toString();
    const contentName = `snapcontent-${snap.uid}`;
    this.store.add({
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshotContent',
      metadata: { name: contentName },
      spec: {
        deletionPolicy: klass.deletionPolicy ?? 'Delete',
        driver: csi.driver,
        source: { volumeHandle: csi.volumeHandle },
        sourceVolumeMode: 'Filesystem',
        volumeSnapshotClassName: klass.metadata?.name,
        volumeSnapshotRef: { apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshot', name: snap.name, namespace: snap.namespace, uid: snap.uid },
      },
      status: {
        creationTime: Date.now() * 1_000_000,
        readyToUse: ready,
        restoreSize: quantityBytes(capacity),
        snapshotHandle: `snap-${snap.uid}`,
      },
    });
    this.store.modify(VS, snap.name, snap.namespace, (vs) => {
      vs.status = {
        boundVolumeSnapshotContentName: contentName,
        creationTime: iso(),
        readyToUse: ready,
        ...(ready ? { restoreSize: capacity } : {}),
      };
    });
  }

  private markReady(snap: Snap): void {
    const vs = this.store.get(VS, snap.name, snap.namespace) as Obj;
    const contentName = vs.status?.boundVolumeSnapshotContentName as string | undefined;
    if (!contentName || vs.status?.error) return;
    const content = this.store.modify(VSC, contentName, undefined, (c) => {
      (c.status as Record<string, unknown>).readyToUse = true;
    }) as Obj;
    const bytes = Number(content.status?.restoreSize ?? 0);
    this.store.modify(VS, snap.name, snap.namespace, (obj) => {
      const status = (obj.status ?? {}) as Record<string, unknown>;
      obj.status = { ...status, readyToUse: true, restoreSize: bytes % 1024 ** 3 === 0 ? `${bytes / 1024 ** 3}Gi` : String(bytes) };
    });
  }

  private snapshotClass(snap: Snap, driver: string): Obj & { driver?: string; deletionPolicy?: string } {
    type Klass = Obj & { driver?: string; deletionPolicy?: string };
    if (snap.className) {
      const klass = this.store.get(VSCLASS, snap.className) as Klass | undefined;
      if (!klass) throw new SnapshotError(`Failed to get snapshot class with error volumesnapshotclass.snapshot.storage.k8s.io "${snap.className}" not found`);
      if (klass.driver !== driver) throw new SnapshotError(`Failed to create snapshot: driver ${driver} of the volume does not match driver ${klass.driver} of snapshot class ${snap.className}`);
      return klass;
    }
    const classes = this.store.list(VSCLASS) as Klass[];
    const fallback = classes.find((c) => c.driver === driver && c.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true');
    if (!fallback) throw new SnapshotError(`Failed to get default snapshot class with error cannot find default snapshot class for driver ${driver}`);
    return fallback;
  }

  private setError(snap: Snap, message: string): void {
    this.store.modify(VS, snap.name, snap.namespace, (vs) => {
      vs.status = { ...(vs.status as object | undefined), readyToUse: false, error: { message, time: iso() } };
    });
  }
}
