// The example Calculator service as a provider would build it after changing
// one field's value type: AddResponse.worker_pid becomes a string. Built from
// the generated descriptor at run time, so no second code generation is needed.
// A process using it must not import calculator_chan.ts (its codecs would win).
import { clone, createFileRegistry, type DescService } from "@bufbuild/protobuf";
import { FieldDescriptorProto_Type, FileDescriptorProtoSchema, file_google_protobuf_empty } from "@bufbuild/protobuf/wkt";
import { file_example_v1_calculator } from "../../generated/example/v1/calculator_pb.js";
import { file_protochan_v1_options } from "../../generated/protochan/v1/options_pb.js";

function build(): DescService {
  const proto = clone(FileDescriptorProtoSchema, file_example_v1_calculator.proto);
  const field = proto.messageType.find((m) => m.name === "AddResponse")!.field.find((f) => f.name === "worker_pid")!;
  field.type = FieldDescriptorProto_Type.STRING;
  const deps = [file_google_protobuf_empty, file_protochan_v1_options];
  const registry = createFileRegistry(proto, (name) => deps.find((d) => `${d.name}.proto` === name));
  return registry.getService("example.v1.CalculatorService")!;
}

/** CalculatorService with AddResponse.worker_pid: string. */
export const ChangedCalculatorService: DescService = build();
