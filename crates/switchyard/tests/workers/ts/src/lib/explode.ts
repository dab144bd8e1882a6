// Padding so the throw sits on a line that type stripping moves.
export interface Reason {
  code: number;
}

type Unused = {
  a: string;
  b: number;
};

export function explode(reason: Reason): never {
  throw new Error(`boom ${reason.code}`);
}
