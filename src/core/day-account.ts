/**
 * One local day's accounts (日结, docs/accounting.md "Days and months"): per camera its figures
 * over the day from its timeline, per grid the sums. Cameras are added in any number of calls
 * (the day closer yields to the event loop between chunks). Pure, no I/O.
 */
import { type CameraTimeline, emptySpan, STATE_SLOT, type SpanFigures } from './camera-timeline.ts';
import { nextDayStart } from './time-windows.ts';

export interface CameraDayFigures extends SpanFigures {
  camera: string;
  gridId: string;
}

export interface GridDayFigures {
  gridId: string;
  onlineMs: number;
  offlineMs: number;
  unknownMs: number;
  maintenanceMs: number;
  /** cameras with time in the registry that day */
  cameras: number;
}

interface AccountedCamera {
  readonly code: string;
  readonly gridId: string;
  readonly gridIndex: number;
  readonly timeline: CameraTimeline;
}

export class DayAccount {
  readonly dayEnd: number;
  readonly cameras: CameraDayFigures[] = [];
  /** per grid (index order), 4 slots: online, offline, unknown, maintenance ms */
  readonly perGrid: Float64Array;
  private readonly cameraCount: Int32Array;

  constructor(
    readonly dayStart: number,
    tzOffsetMinutes: number,
    private readonly gridOrder: readonly string[],
  ) {
    this.dayEnd = nextDayStart(dayStart, tzOffsetMinutes);
    this.perGrid = new Float64Array(gridOrder.length * 4);
    this.cameraCount = new Int32Array(gridOrder.length);
  }

  /** Account one camera; one with no time in the registry that day has no row. */
  add(c: AccountedCamera): void {
    const f = c.timeline.accountSpan(this.dayStart, this.dayEnd, emptySpan());
    if (f.onlineMs + f.offlineMs + f.unknownMs + f.maintenanceMs === 0) return;
    this.cameras.push({ camera: c.code, gridId: c.gridId, ...f });
    const o = c.gridIndex * 4;
    this.perGrid[o + STATE_SLOT.online]! += f.onlineMs;
    this.perGrid[o + STATE_SLOT.offline]! += f.offlineMs;
    this.perGrid[o + STATE_SLOT.unknown]! += f.unknownMs;
    this.perGrid[o + STATE_SLOT.maintenance]! += f.maintenanceMs;
    this.cameraCount[c.gridIndex]! += 1;
  }

  /** The grids with at least one camera that day. */
  grids(): GridDayFigures[] {
    const out: GridDayFigures[] = [];
    for (let g = 0; g < this.gridOrder.length; g++) {
      if (this.cameraCount[g] === 0) continue;
      const o = g * 4;
      out.push({
        gridId: this.gridOrder[g]!,
        onlineMs: this.perGrid[o + STATE_SLOT.online]!,
        offlineMs: this.perGrid[o + STATE_SLOT.offline]!,
        unknownMs: this.perGrid[o + STATE_SLOT.unknown]!,
        maintenanceMs: this.perGrid[o + STATE_SLOT.maintenance]!,
        cameras: this.cameraCount[g]!,
      });
    }
    return out;
  }
}

/**
 * The first day not closed is due at `now` when its end + grace has passed and the hub has been
 * up for the grace period (agents hand over what they spooled while it was away).
 */
export function dayDue(openFrom: number, now: number, tzOffsetMinutes: number, graceMs: number, startedAt: number): boolean {
  return now >= nextDayStart(openFrom, tzOffsetMinutes) + graceMs && now >= startedAt + graceMs;
}
