/** A value the strict JSON serializer stores as is (an `undefined` property is omitted, as JSON does). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue | undefined }

// (A type already assignable to JsonValue is returned as is: mapping the recursive JsonValue itself would never end.)

// What JSON.stringify drops or converts, and the default serializer refuses.
type NotJson = bigint | symbol | undefined | ((...args: never[]) => unknown) | Date | ReadonlyMap<unknown, unknown> |
  ReadonlySet<unknown> | WeakMap<object, unknown> | WeakSet<object> | RegExp | PromiseLike<unknown> | ArrayBufferView |
  ArrayBuffer | URL

type IsAny<T> = 0 extends 1 & T ? true : false

/**
 * `T` with every part the serializer would refuse (Date, Map, Set, bigint, functions, `undefined` outside an
 * object property) turned into `never`: `value: T & JsonSafe<T>` then compiles only for JSON. Unlike `JsonValue`,
 * it accepts interface types (`interface User { name: string }` has no index signature). `any` passes;
 * `unknown` must be a `JsonValue`.
 */
export type JsonSafe<T> = IsAny<T> extends true ? T : unknown extends T ? JsonValue : [T] extends [JsonValue] ? T : Safe<T>

type Safe<T> =
  T extends string | number | boolean | null ? T
    : T extends NotJson ? never
      : T extends readonly unknown[] ? { [K in keyof T]: JsonSafe<T[K]> }
        : T extends object ? { [K in keyof T]: Property<T[K]> }
          : never

// Distributes over an optional property's `V | undefined`: the undefined part is omitted, the rest must be JSON.
type Property<V> = V extends undefined ? undefined : JsonSafe<V>

/**
 * `unknown` while `T` is JSON, else a message the compiler shows: `Factory<T> & NoInfer<JsonResult<T, 'getOrSet'>>`
 * checks a factory's result yet still infers `T` from it. `unknown` passes: a factory that reads `ctx` fixes `T`
 * before its result is seen (TypeScript), and such a call must still compile (`getOrSet<Product>` types it).
 */
export type JsonResult<T, Method extends string> = unknown extends T ? unknown
  : [T] extends [JsonSafe<T>] ? unknown : `${Method}: the factory must return JSON (no Date, Map, Set, bigint, function or undefined value)`
