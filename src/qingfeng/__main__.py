from qingfeng.cli import main

main()
