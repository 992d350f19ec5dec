// Map fields are plain objects keyed by strings. A key read from the wire can
// be "__proto__", which must become an own property, not the prototype.

export function setEntry<V>(record: { [key: string]: V } | { [key: number]: V }, key: string, value: V): void {
  if (key === "__proto__") {
    Object.defineProperty(record, key, { value, enumerable: true, configurable: true, writable: true });
  } else {
    (record as { [key: string]: V })[key] = value;
  }
}
