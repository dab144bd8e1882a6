export type Env = {
  Bindings: {
    JWT_SECRET: string;
    ADMIN_TOKEN: string;
    USERS: Fetcher;
  };
};
