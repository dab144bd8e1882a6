export const suffix: string = "";
