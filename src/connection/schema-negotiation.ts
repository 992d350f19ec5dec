// Schema negotiation on one connection, between two peers that both speak it
// (HELLO flag SCHEMA). Each side describes a protobuf channel type to the
// peer once, before the first frame that needs it there: the bootstrap type
// in the handshake, a handle's type before the MESSAGE that carries it or the
// OPEN of its route. Each side compares what it is told with its own types
// and either reports the differences or refuses (SchemaMismatchError). Each
// type is checked once per connection, so messages cost nothing.
import { ResourceLimitError } from "../errors.js";
import { channelTypeById, shapeOfChannel, type ChannelType } from "../codec/channel-type.js";
import { compareShapes, decodeShapes, encodeShapes, type SchemaDifference, type TypeShape } from "../codec/schema-description.js";
import { typeIdOf } from "../wire/type-id.js";

/** Most SCHEMA bytes a peer may send over one connection. */
export const MAX_SCHEMA_BYTES_PER_CONNECTION = 4 * 1024 * 1024;

export class SchemaNegotiation {
  /** Types described to the peer (or found to have nothing to describe), by type id. */
  private readonly sent = new Map<bigint, ChannelType<unknown>>();
  /** Types the peer described and this side checked, by name. */
  private readonly checked = new Set<string>();
  private received = 0;

  /** `write` sends a SCHEMA body; `flush` pushes it out now (before an ERROR that discards the queue). */
  constructor(
    private readonly write: (body: Uint8Array) => void,
    private readonly flush: () => void,
  ) {}

  /** Describes the protobuf types among `types` that the peer has not been told about (one SCHEMA frame, or none). */
  describe(types: Iterable<ChannelType<unknown> | undefined>, always = false): void {
    const shapes: TypeShape[] = [];
    for (const type of types) {
      if (type === undefined || this.sent.has(type.typeId)) continue;
      this.sent.set(type.typeId, type); // also a type with nothing to describe: not looked at again
      const shape = shapeOfChannel(type);
      if (shape !== undefined) shapes.push(shape);
    }
    if (shapes.length > 0 || always) this.write(encodeShapes(shapes));
  }

  /** The same, for a type id seen on a frame about to be written (if this process knows the type). */
  describeId(typeId: bigint): void {
    if (this.sent.has(typeId)) return;
    const type = channelTypeById(typeId);
    if (type !== undefined) this.describe([type]);
  }

  /**
   * A SCHEMA body from the peer. Types it describes that this side knows
   * are described back first (so the peer checks them too, from its side),
   * then compared; returns the differences found, throws
   * SchemaMismatchError (or ProtocolError for a malformed body).
   */
  receive(body: Uint8Array): SchemaDifference[] {
    this.received += body.length;
    if (this.received > MAX_SCHEMA_BYTES_PER_CONNECTION) {
      throw new ResourceLimitError(
        "maxSchemaBytes",
        `peer sent ${this.received} bytes of schema descriptions, at most ${MAX_SCHEMA_BYTES_PER_CONNECTION} per connection`,
      );
    }
    const peer = decodeShapes(body);
    // The type this side described under that name, else the one its process registered.
    const local = peer.map((p) => this.sent.get(typeIdOf(p.root)) ?? localType(p.root));
    this.describe(local);
    const found: SchemaDifference[] = [];
    try {
      peer.forEach((p, i) => {
        const mine = local[i] === undefined ? undefined : shapeOfChannel(local[i]!);
        if (mine === undefined || this.checked.has(p.root)) return;
        this.checked.add(p.root);
        const changes = compareShapes(mine, p);
        if (changes.length > 0) found.push({ typeName: p.root, changes });
      });
    } catch (err) {
      this.flush(); // our description reaches the peer before the ERROR
      throw err;
    }
    return found;
  }
}

function localType(typeName: string): ChannelType<unknown> | undefined {
  const type = channelTypeById(typeIdOf(typeName));
  return type?.typeName === typeName ? type : undefined;
}
