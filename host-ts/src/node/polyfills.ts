/**
 * Runtime features js-libp2p 3 assumes and Node 20 lacks.
 *
 * libp2p 3 (through it-queue, mortice, @libp2p/utils and yamux) calls
 * `Promise.withResolvers` (ES2024, Node ≥ 22) at run time, so on Node 20
 * `createLibp2p` fails with "Promise.withResolvers is not a function". This
 * module installs a spec-shaped replacement when, and only when, the runtime
 * has none.
 *
 * It is a side-effect module: every module that imports libp2p imports it
 * first (ESM evaluates a module's imports in source order, depth first, so a
 * first `import "./polyfills.ts"` runs before any libp2p module body), and so
 * does the CLI entry (`cli/main.ts`). It imports nothing, so nothing can be
 * evaluated ahead of it through it.
 */

interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

type WithResolvers = <T>(this: PromiseConstructor) => Resolvers<T>;

/** Installs `Promise.withResolvers` if the runtime lacks it; returns true when it installed one. */
export function installPromiseWithResolvers(target: PromiseConstructor = Promise): boolean {
  const ctor = target as PromiseConstructor & { withResolvers?: unknown };
  if (typeof ctor.withResolvers === "function") return false;
  const withResolvers: WithResolvers = function <T>(this: PromiseConstructor): Resolvers<T> {
    let resolve!: Resolvers<T>["resolve"];
    let reject!: Resolvers<T>["reject"];
    // `this`, as in the spec (NewPromiseCapability(C)), so subclasses get their own kind of promise.
    const promise = new this<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
  // Non-enumerable and writable like the built-in, so feature tests and later real implementations behave.
  Object.defineProperty(ctor, "withResolvers", { value: withResolvers, writable: true, configurable: true, enumerable: false });
  return true;
}

/** True when this process runs on the polyfill (Node 20), false when the runtime has its own. */
export const promiseWithResolversPolyfilled: boolean = installPromiseWithResolvers();
