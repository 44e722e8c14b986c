#!/usr/bin/env node
// `npx routekey …`: loads the TypeScript CLI through tsx (a dev dependency of this package).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../host/app/cli.ts');
process.exit(await main(process.argv.slice(2)));
