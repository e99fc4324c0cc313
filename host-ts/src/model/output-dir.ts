/**
 * Output directories the tools write reports into. Node 20's
 * `mkdirSync(path, { recursive: true })` loops forever on a path under /proc
 * (it retries a mkdir the kernel keeps refusing), so directories are made one
 * level at a time from the nearest one that exists, and any failure is one
 * UserError line naming the path and the reason.
 */
import { accessSync, constants, existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { UserError } from "./errors.ts";

export function makeOutputDir(dir: string): void {
  const target = resolve(dir);
  const missing: string[] = [];
  let p = target;
  while (!existsSync(p)) {
    missing.push(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  if (!statSync(p).isDirectory()) throw new UserError(`cannot write to ${dir}: ${p} is not a directory`);
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new UserError(`cannot create the output directory ${dir}: ${err.code ?? "error"} at ${m}`);
    }
  }
  if (!statSync(target).isDirectory()) throw new UserError(`cannot write to ${dir}: it is not a directory`);
  try {
    accessSync(target, constants.W_OK);
  } catch {
    throw new UserError(`cannot write to ${dir}: permission denied`);
  }
}
