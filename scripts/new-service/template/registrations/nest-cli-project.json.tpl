{
  "type": "application",
  "root": "apps/{{name}}",
  "entryFile": "main",
  "sourceRoot": "apps/{{name}}/src",
  "compilerOptions": {
    "tsConfigPath": "apps/{{name}}/tsconfig.app.json"
  }
}
