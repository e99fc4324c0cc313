#!/usr/bin/env node
// The CLI is TypeScript run through tsx's loader, so `npx mhr` always runs the
// sources in the checkout: there is no build step that can go stale.
import { register } from "tsx/esm/api";
register();
await import("../host-ts/src/cli/main.ts");
