#!/usr/bin/env node
// Entry point buf runs (see buf.gen.yaml): reads a CodeGeneratorRequest on
// stdin, writes the response to stdout.
import { runNodeJs } from "@bufbuild/protoplugin";
import { protocGenProtochan } from "../plugin.js";

runNodeJs(protocGenProtochan);
