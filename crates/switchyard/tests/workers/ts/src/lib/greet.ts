import { suffix } from "./suffix.mts";

export function greet<T extends string>(name: T): string {
  return `hello from ${name}${suffix}`;
}
