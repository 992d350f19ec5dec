// Reads protochan's custom options (used by the code generator and by the runtime for services) (schema/protochan/v1/options.proto) from the
// descriptors in the code generator request. The extensions are looked up in
// the request itself rather than imported from generated/, so the plugin never
// depends on its own previous output.
import {
  getOption,
  hasOption,
  type DescExtension,
  type DescField,
  type DescMessage,
  type DescMethod,
  type DescFile,
} from "@bufbuild/protobuf";

export interface MessageLayoutOptions {
  readonly cLayout: boolean;
  readonly layoutVersion: number;
}

export interface FieldLayoutOptions {
  readonly maxLength: number;
  readonly fixedLength: number;
  readonly maxCount: number;
  readonly fixedCount: number;
  /** 0 = natural width; 1 uint8, 2 uint16, 3 int8, 4 int16 (protochan.v1.CType). */
  readonly cType: number;
  /** Full name of the payload type on a handle field, "" if none. */
  readonly payload: string;
}

export interface MethodChanOptions {
  readonly oneWay: boolean;
}

const NO_MESSAGE_OPTIONS: MessageLayoutOptions = { cLayout: false, layoutVersion: 0 };
const NO_FIELD_OPTIONS: FieldLayoutOptions = {
  maxLength: 0,
  fixedLength: 0,
  maxCount: 0,
  fixedCount: 0,
  cType: 0,
  payload: "",
};
const NO_METHOD_OPTIONS: MethodChanOptions = { oneWay: false };

/** The three protochan extensions, found among the files of one request (or a file and its imports). */
export class ProtochanOptions {
  private readonly message?: DescExtension;
  private readonly field?: DescExtension;
  private readonly method?: DescExtension;

  /** Reads options from `file` and everything it imports. */
  static of(file: DescFile): ProtochanOptions {
    const all: DescFile[] = [];
    const walk = (f: DescFile) => {
      if (all.includes(f)) return;
      all.push(f);
      f.dependencies.forEach(walk);
    };
    walk(file);
    return new ProtochanOptions(all);
  }

  constructor(allFiles: readonly DescFile[]) {
    const optionsFile = allFiles.find((f) => f.name === "protochan/v1/options");
    const find = (name: string) => optionsFile?.extensions.find((e) => e.typeName === `protochan.v1.${name}`);
    this.message = find("message");
    this.field = find("field");
    this.method = find("method");
  }

  forMessage(desc: DescMessage): MessageLayoutOptions {
    return read(desc, this.message, NO_MESSAGE_OPTIONS);
  }

  forField(desc: DescField): FieldLayoutOptions {
    return read(desc, this.field, NO_FIELD_OPTIONS);
  }

  forMethod(desc: DescMethod): MethodChanOptions {
    return read(desc, this.method, NO_METHOD_OPTIONS);
  }
}

// The option values are protobuf-es messages whose properties are the
// fields' localNames, so they read as the plain interfaces above.
function read<D extends DescMessage | DescField | DescMethod, T extends object>(desc: D, ext: DescExtension | undefined, fallback: T): T {
  if (ext === undefined) return fallback;
  // hasOption/getOption are typed per extension; ours are found at run time.
  const has = hasOption as (d: D, e: DescExtension) => boolean;
  const get = getOption as (d: D, e: DescExtension) => unknown;
  if (!has(desc, ext)) return fallback;
  return { ...fallback, ...(get(desc, ext) as Partial<T>) };
}
