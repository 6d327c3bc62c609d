{
  "version": "7",
  "dialect": "postgresql",
  "entries": [
    {
      "idx": 0,
      "version": "7",
      "when": {{migrationTime}},
      "tag": "0000_{{name}}",
      "breakpoints": true
    }
  ]
}