(function(){
var box=document.getElementById('only-bad');
if(box){box.addEventListener('change',function(){document.body.classList.toggle('only-bad',box.checked);});}
var btn=document.getElementById('expand');
if(btn){btn.addEventListener('click',function(){
var all=document.querySelectorAll('details.finding');var open=btn.dataset.open!=='1';
all.forEach(function(d){d.open=open;});btn.dataset.open=open?'1':'0';
btn.textContent=open?'collapse all findings':'expand all findings';});}
})();
