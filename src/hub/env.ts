/** Hub settings from the environment and command line (documented in README "Configuration"). */
export interface HubEnv {
  port: number;
  host: string;
  configDir: string;
  dataDir: string;
  databaseUrl?: string;
  demo: boolean;
  demoCameras: number;
}

export function readHubEnv(env: NodeJS.ProcessEnv, argv: string[]): HubEnv {
  const flag = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const port = Number(flag('port') ?? env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be an integer 0..65535, got ${env.PORT}`);
  const out: HubEnv = {
    port,
    host: flag('host') ?? env.HOST ?? '127.0.0.1',
    configDir: flag('config') ?? env.CONFIG_DIR ?? './config',
    dataDir: flag('data') ?? env.DATA_DIR ?? './data',
    demo: argv.includes('--demo'),
    demoCameras: Number(flag('cameras') ?? env.DEMO_CAMERAS ?? 5000),
  };
  const url = env.DATABASE_URL;
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url)) throw new Error('DATABASE_URL must be a postgres:// URL');
    out.databaseUrl = url;
  }
  return out;
}
