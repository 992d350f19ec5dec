// A worker of the example Calculator service, run by WorkerSets in the tests.
// It prints what it starts and finishes, so tests can synchronise on events.
import { runWorker } from "protochan";
import { CalculatorService } from "../../generated/example/v1/calculator_pb.js";
import "../../generated/example/v1/calculator_chan.js";
import { calculatorHandlers } from "./calculator-handlers.js";

await runWorker(CalculatorService, calculatorHandlers());
