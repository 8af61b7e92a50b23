from mining.cli import main

main(prog_name="mlflow-miner")
