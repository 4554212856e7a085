// Tests run straight from TypeScript sources through ts-jest in transpile-only mode
// (`isolatedModules`: no type-check here, `npm run build` and `tsc -p tsconfig.tests.json` do that).
// Workspace packages resolve to their src/index.ts so a test never sees a stale dist/.
// jest 29 + ts-jest rather than jest 30 or swc: both of those pull platform-specific binaries
// that the package mirror here does not carry, which makes `npm ci` reject the lock file.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  // Embedded servers open PGlite (≈ 5 s idle, 15–30 s when the machine is busy): hooks and tests get room.
  testTimeout: 120_000,
  roots: ['<rootDir>/packages'],
  testMatch: ['**/test/**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      {
        useESM: true,
        tsconfig: {
          target: 'ES2022',
          module: 'ESNext',
          moduleResolution: 'Bundler',
          isolatedModules: true,
          verbatimModuleSyntax: false,
          esModuleInterop: true,
          sourceMap: true,
        },
        diagnostics: false,
      },
    ],
  },
  moduleNameMapper: {
    '^@weir/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  maxWorkers: 2,
};
