// The example Calculator service as a provider would build it after a schema
// change, built from the generated descriptor at run time (no second code
// generation): "retype" makes AddResponse.worker_pid and Pong.child_pid
// strings (incompatible), "add" gives AddResponse a new field `note` (compatible). A process using it
// must not import calculator_chan.ts (its codecs would win).
import { clone, createFileRegistry, type DescService } from "@bufbuild/protobuf";
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FieldDescriptorProtoSchema,
  FileDescriptorProtoSchema,
  file_google_protobuf_empty,
} from "@bufbuild/protobuf/wkt";
import { create } from "@bufbuild/protobuf";
import type { DescMessage } from "@bufbuild/protobuf";
import { file_example_v1_calculator } from "../../generated/example/v1/calculator_pb.js";
import { file_example_v1_example } from "../../generated/example/v1/example_pb.js";
import { file_protochan_v1_options } from "../../generated/protochan/v1/options_pb.js";

export type SchemaChangeKind = "retype" | "add";

/** CalculatorService after the change. */
export function changedCalculatorService(change: SchemaChangeKind): DescService {
  const proto = clone(FileDescriptorProtoSchema, file_example_v1_calculator.proto);
  const response = proto.messageType.find((m) => m.name === "AddResponse")!;
  if (change === "retype") response.field.find((f) => f.name === "worker_pid")!.type = FieldDescriptorProto_Type.STRING;
  else
    response.field.push(
      create(FieldDescriptorProtoSchema, {
        name: "note",
        jsonName: "note",
        number: 3,
        type: FieldDescriptorProto_Type.STRING,
        label: FieldDescriptorProto_Label.OPTIONAL,
      }),
    );
  const deps = [file_google_protobuf_empty, file_protochan_v1_options];
  const registry = createFileRegistry(proto, (name) => deps.find((d) => `${d.name}.proto` === name));
  return registry.getService("example.v1.CalculatorService")!;
}

/** example.v1.Pong with child_pid: string. */
export function retypedPongSchema(): DescMessage {
  const proto = clone(FileDescriptorProtoSchema, file_example_v1_example.proto);
  proto.messageType.find((m) => m.name === "Pong")!.field.find((f) => f.name === "child_pid")!.type = FieldDescriptorProto_Type.STRING;
  return createFileRegistry(proto, () => undefined).getMessage("example.v1.Pong")!;
}
