// File and symbol names shared by the emitters.
import type { DescFile, DescMessage } from "@bufbuild/protobuf";

/** "example/v1/example" + suffix, e.g. "_chan.ts". */
export function outputName(file: DescFile, suffix: string): string {
  return file.name + suffix;
}

/** Messages declared in a file, nested ones included, map entries excluded. */
export function messagesOf(file: DescFile): DescMessage[] {
  const out: DescMessage[] = [];
  const walk = (messages: readonly DescMessage[]) => {
    for (const m of messages) {
      out.push(m);
      walk(m.nestedMessages);
    }
  };
  walk(file.messages);
  return out;
}

/** Our own schema (wire format, options) gets no channels or services. */
export function isProtochanInternal(file: DescFile): boolean {
  return file.proto.package === "protochan.v1";
}

/**
 * The identifier protoc-gen-es gives a message's schema, minus "Schema":
 * "Ping" for example.v1.Ping, "Inner_Leaf" for the nested example.v1.Inner.Leaf.
 */
export function shapeName(message: DescMessage): string {
  const pkg = message.file.proto.package;
  const local = pkg === "" ? message.typeName : message.typeName.slice(pkg.length + 1);
  return local.replaceAll(".", "_");
}
