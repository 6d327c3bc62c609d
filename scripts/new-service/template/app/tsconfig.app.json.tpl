{
  "extends": "../../tsconfig.json",
  "compilerOptions": { "outDir": "../../dist", "incremental": false },
  "include": ["src/**/*.ts", "../../libs/**/src/**/*.ts"],
  "exclude": [
    "node_modules",
    "dist",
    "test",
    "**/*.spec.ts",
    "**/*.int-spec.ts",
    "../../libs/**/*.spec.ts",
    "../../libs/**/*.int-spec.ts",
    "../../libs/**/*.fault-spec.ts"
  ]
}
