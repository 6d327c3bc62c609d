  - job_name: {{name}}
    metrics_path: /metrics
    static_configs:
      - targets: ["{{name}}:{{port}}"]
        labels:
          service: {{name}}
