// The C-layout half of `protochan breaking`: compares the layouts of the
// C-layout messages of two versions of a schema, computed by the same code
// the header generator uses (src/schema/c-layout.ts). A packet has no field
// tags, so its layout is the contract (docs/c-guide.md, "Evolving a packet"):
// existing members keep their name, type, size and offset, new members are
// only appended, and a change of size needs a layout_version bump.
import type { DescField, DescFile, DescMessage, DescOneof, FileRegistry } from "@bufbuild/protobuf";
import {
  CLayoutError,
  CLayouts,
  sourceLocationOf,
  type CMember,
  type FieldPlan,
  type StructLayout,
  type UnionLayout,
} from "../../layout/c-layout.js";
import { CodegenErrors } from "../../layout/collect-errors.js";
import { ProtochanOptions } from "../schema/options.js";

/** One breaking change, located in the new version. `file` is the proto file's name in its module. */
export interface LayoutViolation {
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly message: string;
}

type Declared = DescMessage | DescField | DescOneof;

/**
 * The violations of the C-layout rules from `before` to `after`, for the C-layout messages declared
 * in `files` (names of the files checked) and every struct nested in them.
 */
export function cLayoutViolations(before: FileRegistry, after: FileRegistry, files: ReadonlySet<string>): LayoutViolation[] {
  const diff = new LayoutDiff(layoutsOf(before), layoutsOf(after));
  for (const file of after.files) {
    if (!files.has(file.proto.name)) continue;
    for (const message of messagesOf(file)) {
      const old = before.getMessage(message.typeName);
      if (old !== undefined) diff.message(old, message);
    }
  }
  return diff.violations;
}

function layoutsOf(registry: FileRegistry): CLayouts {
  const files = [...registry.files];
  return new CLayouts(new ProtochanOptions(files), files);
}

function messagesOf(file: DescFile): DescMessage[] {
  const out: DescMessage[] = [];
  const walk = (ms: readonly DescMessage[]) => {
    for (const m of ms) {
      out.push(m);
      walk(m.nestedMessages);
    }
  };
  walk(file.messages);
  return out;
}

/** "uint32_t", "char[16]", "example_v1_Point[4]". */
function declOf(m: CMember): string {
  return m.array === undefined ? m.cType : `${m.cType}[${m.array}]`;
}

/** The proto element each member of a struct comes from, for its location. */
function declaredBy(layout: StructLayout): Map<string, Declared> {
  const out = new Map<string, Declared>();
  for (const plan of layout.fields) {
    const by = plan.kind === "oneof" ? plan.oneof : plan.field;
    for (const m of membersOfPlan(plan)) out.set(m.name, by);
  }
  return out;
}

function membersOfPlan(plan: FieldPlan): CMember[] {
  switch (plan.kind) {
    case "value":
      return [plan.presence, plan.member].filter((m) => m !== undefined);
    case "string":
    case "bytes":
      return [plan.presence, plan.length, plan.member].filter((m) => m !== undefined);
    case "list":
      return [plan.count, plan.member].filter((m) => m !== undefined);
    case "oneof":
      return [plan.caseMember, plan.member];
  }
}

const APPEND_ONLY =
  "a packet's members are only appended (a field number higher than every existing one); " +
  "anything else is a new message with a new name";

class LayoutDiff {
  readonly violations: LayoutViolation[] = [];
  private readonly seen = new Set<string>();
  private readonly reported = new Set<string>();
  private readonly elements = new Set<Declared>();

  constructor(
    private readonly before: CLayouts,
    private readonly after: CLayouts,
  ) {}

  message(old: DescMessage, cur: DescMessage): void {
    const wasC = this.before.isCLayout(old);
    if (!wasC) return;
    if (!this.after.isCLayout(cur)) {
      this.report(cur, `${cur.typeName}: c_layout was removed; ${APPEND_ONLY}`);
      return;
    }
    const oldLayout = this.layout(this.before, old, undefined);
    const curLayout = this.layout(this.after, cur, cur);
    if (oldLayout !== undefined && curLayout !== undefined) this.struct(oldLayout, curLayout);
  }

  /** The layout, or undefined if it cannot be computed; a new version's layout errors are violations. */
  private layout(layouts: CLayouts, message: DescMessage, reportAt: DescMessage | undefined): StructLayout | undefined {
    try {
      return layouts.layoutOf(message);
    } catch (err) {
      if (!(err instanceof CLayoutError || err instanceof CodegenErrors)) throw err;
      // The old version could not be laid out: there is no contract to keep.
      if (reportAt === undefined) return undefined;
      const errors = err instanceof CodegenErrors ? err.errors : [err];
      for (const e of errors) {
        const at = e instanceof CLayoutError ? parseLocation(e.location) : undefined;
        const text = e instanceof CLayoutError ? e.message.slice(e.location.length + 2) : e.message;
        this.add(at ?? sourceLocationOf(reportAt), text);
      }
      return undefined;
    }
  }

  private struct(old: StructLayout, cur: StructLayout): void {
    const key = `${old.message.typeName}>${cur.message.typeName}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const name = cur.message.typeName;
    const declared = declaredBy(cur);
    const at = (m: CMember): Declared => declared.get(m.name) ?? cur.message;
    const oldMembers = old.members.filter((m) => m.role !== "padding");
    const curMembers = cur.members.filter((m) => m.role !== "padding");
    const curByName = new Map(curMembers.map((m) => [m.name, m]));
    const oldNames = new Set(oldMembers.map((m) => m.name));
    const oldOrder = oldMembers.filter((m) => curByName.has(m.name)).map((m) => m.name);
    const curOrder = curMembers.filter((m) => oldNames.has(m.name)).map((m) => m.name);
    // Once a member changed, the offsets after it move too: that is reported once, at the cause.
    let changed = false;
    // Members (or oneof arms) added: a change that needs a layout_version bump even at the same size.
    let appended = false;
    for (const m of oldMembers) {
      const c = curByName.get(m.name);
      if (c === undefined) {
        this.report(cur.message, `${name}: C member ${m.name} (${declOf(m)} at offset ${m.offset}) was removed; ${APPEND_ONLY}`);
        changed = true;
      } else if (m.cType !== c.cType) {
        this.report(at(c), `${name}: C member ${m.name} changed type from ${declOf(m)} to ${declOf(c)}; ${APPEND_ONLY}`);
        changed = true;
      } else {
        if (m.struct !== undefined && c.struct !== undefined) this.struct(m.struct, c.struct);
        if (m.union !== undefined && c.union !== undefined && this.union(m.union, c.union, cur)) appended = true;
        if (m.size !== c.size || m.array !== c.array) {
          this.report(
            at(c),
            `${name}: C member ${m.name} changed size from ${declOf(m)} (${m.size} bytes) to ` +
              `${declOf(c)} (${c.size} bytes); ${APPEND_ONLY}`,
          );
          changed = true;
        } else if (oldOrder.indexOf(m.name) !== curOrder.indexOf(m.name)) {
          this.report(
            at(c),
            `${name}: C member ${m.name} was reordered (offset ${m.offset} -> ${c.offset}); ` +
              `members are laid out in field-number order, so never renumber a field; ${APPEND_ONLY}`,
          );
          changed = true;
        } else if (m.offset !== c.offset && !changed) {
          this.report(at(c), `${name}: C member ${m.name} moved from offset ${m.offset} to ${c.offset}; ${APPEND_ONLY}`);
          changed = true;
        }
      }
    }
    const lastKept = Math.max(-1, ...curOrder.map((n) => curMembers.findIndex((m) => m.name === n)));
    curMembers.forEach((c, i) => {
      if (oldNames.has(c.name)) return;
      if (i < lastKept) {
        this.report(at(c), `${name}: C member ${c.name} was inserted before existing members; ${APPEND_ONLY}`);
      } else {
        appended = true;
      }
    });
    if (cur.layoutVersion < old.layoutVersion) {
      this.add(sourceLocationOf(cur.message), `${name}: layout_version went down from ${old.layoutVersion} to ${cur.layoutVersion}`);
    } else if (cur.layoutVersion === old.layoutVersion && (cur.size !== old.size || appended)) {
      const what = cur.size !== old.size ? `its size changed from ${old.size} to ${cur.size} bytes` : "members were appended";
      this.add(
        sourceLocationOf(cur.message),
        `${name}: ${what} but (protochan.v1.message).layout_version is still ${cur.layoutVersion}; ` +
          `bump it to ${cur.layoutVersion + 1}`,
      );
    }
  }

  /**
   * A oneof's union: every arm keeps its type and size (the union's own size is checked as a member).
   * Returns whether arms were added.
   */
  private union(old: UnionLayout, cur: UnionLayout, owner: StructLayout): boolean {
    const plan = owner.fields.find((p) => p.kind === "oneof" && p.union === cur);
    const armField = (name: string): Declared => {
      const arm = plan?.kind === "oneof" ? plan.arms.find((a) => a.member.name === name) : undefined;
      return arm !== undefined && arm.kind !== "oneof" ? arm.field : cur.oneof;
    };
    const curArms = new Map(cur.arms.map((a) => [a.name, a]));
    const name = `${owner.message.typeName}.${cur.oneof.name}`;
    for (const a of old.arms) {
      const c = curArms.get(a.name);
      if (c === undefined) {
        this.report(cur.oneof, `${name}: oneof member ${a.name} (${declOf(a)}) was removed; ${APPEND_ONLY}`);
      } else if (a.cType !== c.cType) {
        this.report(armField(c.name), `${name}: oneof member ${a.name} changed type from ${declOf(a)} to ${declOf(c)}; ${APPEND_ONLY}`);
      } else {
        if (a.struct !== undefined && c.struct !== undefined) this.struct(a.struct, c.struct);
        if (a.size !== c.size || a.array !== c.array) {
          this.report(
            armField(c.name),
            `${name}: oneof member ${a.name} changed size from ${declOf(a)} (${a.size} bytes) ` +
              `to ${declOf(c)} (${c.size} bytes); ${APPEND_ONLY}`,
          );
        }
      }
    }
    const oldArms = new Set(old.arms.map((a) => a.name));
    return cur.arms.some((a) => !oldArms.has(a.name));
  }

  /** One violation per proto element: a retyped string field's _len member is not a second one. */
  private report(at: Declared, message: string): void {
    if (this.elements.has(at)) return;
    this.elements.add(at);
    this.add(sourceLocationOf(at), message);
  }

  private add(at: { file: string; line: number | undefined; column: number | undefined }, message: string): void {
    const key = `${at.file}:${at.line}:${at.column}:${message}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.violations.push({ file: at.file, line: at.line, column: at.column, message });
  }
}

/** "a/b.proto:12:3" -> its parts ("?" for an unknown line or column). */
function parseLocation(location: string): LayoutViolation | undefined {
  const m = /^(.*):(\d+|\?):(\d+|\?)$/.exec(location);
  if (m === null) return undefined;
  const num = (s: string | undefined) => (s === undefined || s === "?" ? undefined : Number(s));
  return { file: m[1] ?? location, line: num(m[2]), column: num(m[3]), message: "" };
}
