/** The key every listed record has: lists are ordered by `dateCreated`, ties broken by `sid`. */
export interface Listed {
  sid: string
  dateCreated: number
}

function compare (a: Listed, b: Listed): number {
  return a.dateCreated - b.dateCreated || (a.sid < b.sid ? -1 : a.sid > b.sid ? 1 : 0)
}

/**
 * The records of one resource in one account: an array kept sorted by (dateCreated, sid) plus a sid index, so a
 * page is found by binary search and never needs sorting. Lists read it newest first (from the end). Deleted
 * records leave their key behind, so a page token naming one still marks a valid position.
 */
export class Collection<T extends Listed> {
  private readonly sorted: T[] = []
  private readonly bySid = new Map<string, T>()
  private readonly removedKeys = new Map<string, number>()

  get size (): number {
    return this.sorted.length
  }

  get (sid: string): T | undefined {
    return this.bySid.get(sid)
  }

  /** The record at a position of the ascending order (0 = oldest). */
  at (index: number): T | undefined {
    return this.sorted[index]
  }

  /** Oldest first. */
  values (): readonly T[] {
    return this.sorted
  }

  add (record: T): void {
    const last = this.sorted[this.sorted.length - 1]
    if (last === undefined || compare(last, record) < 0) this.sorted.push(record)
    else this.sorted.splice(this.lowerBound(record), 0, record)
    this.bySid.set(record.sid, record)
  }

  /** Adds many records at once (seeding): one sort instead of one insertion each. */
  addAll (records: readonly T[]): void {
    for (const record of records) {
      this.sorted.push(record)
      this.bySid.set(record.sid, record)
    }
    this.sorted.sort(compare)
  }

  remove (record: T): void {
    const index = this.lowerBound(record)
    if (this.sorted[index] !== record) return
    this.sorted.splice(index, 1)
    this.bySid.delete(record.sid)
    this.removedKeys.set(record.sid, record.dateCreated)
  }

  /** The key of a present or deleted record, for page tokens; undefined for a sid this collection never had. */
  keyOf (sid: string): Listed | undefined {
    const record = this.bySid.get(sid)
    if (record) return { sid, dateCreated: record.dateCreated }
    const dateCreated = this.removedKeys.get(sid)
    return dateCreated === undefined ? undefined : { sid, dateCreated }
  }

  /** The first position whose record is not older than `key`. */
  lowerBound (key: Listed): number {
    let low = 0
    let high = this.sorted.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if (compare(this.sorted[mid] as T, key) < 0) low = mid + 1
      else high = mid
    }
    return low
  }

  /** The first position whose record is newer than `key`. */
  upperBound (key: Listed): number {
    const index = this.lowerBound(key)
    return this.sorted[index]?.sid === key.sid ? index + 1 : index
  }
}
