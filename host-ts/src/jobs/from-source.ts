/** The one "job from source" builder: assemble MHR-Byte source (checked as `mhr asm` checks it), build the job around it, encode it. */
import type { AssembleOptions } from "../asm/index.ts";
import { assembleChecked } from "./source.ts";
import { encodeJob } from "../model/codec.ts";
import { makeJob, type JobParts } from "../model/job.ts";
import type { Contract, Job } from "../model/types.ts";

export interface SourceJob {
  contract: Contract;
  job: Job;
  /** The canonical job encoding (SPEC §6). */
  bytes: Uint8Array;
}

export function jobFromSource(source: string, parts: JobParts = {}, options: AssembleOptions = {}): SourceJob {
  const contract = assembleChecked(source, options).contract;
  const job = makeJob(contract, parts);
  return { contract, job, bytes: encodeJob(job) };
}
